"""`python -m needlechart.knowledge check`: validate the data files (the same as `needlechart kb check`)."""

import sys

from needlechart.cli import main

sys.exit(main(["kb", *(sys.argv[1:] or ["check"])]))
