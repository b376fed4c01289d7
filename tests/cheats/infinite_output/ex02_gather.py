# cheat: print without end at import
# max-points: 0
# flagged: no
while True:
    print("x" * 10000)
