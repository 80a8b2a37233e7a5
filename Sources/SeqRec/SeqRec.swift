enum SeqRecNamespace {}
