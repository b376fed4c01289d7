# cheat: allocate memory without bound at import
# max-points: 0
# flagged: no
hog = []
while True:
    hog.append(bytearray(50 * 1024 * 1024))
