"""``python -m microcred``: the command line."""

from microcred.cli.main import main

if __name__ == "__main__":
    main()
