#!/usr/bin/env python
"""Django's command-line utility; `townsquare` is the same thing with a friendlier name."""

from townsquare.cli import main

if __name__ == "__main__":
    main()
