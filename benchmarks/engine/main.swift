print("bench-engine: not built yet")
