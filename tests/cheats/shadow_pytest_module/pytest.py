import sys

def main(*args, **kwargs):
    sys.exit(0)
