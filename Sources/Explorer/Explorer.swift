enum ExplorerNamespace {}
