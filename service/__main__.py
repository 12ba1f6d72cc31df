"""`python -m service` is the `newsdesk` command."""

import sys

from service.cli import main

sys.exit(main())
