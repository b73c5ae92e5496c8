import sys

from examkit.cli import main

sys.exit(main())
