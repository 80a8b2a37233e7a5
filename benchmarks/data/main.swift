print("bench-data: not built yet")
