print("podpis")
