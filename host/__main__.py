import sys

from host.relay import main

sys.exit(main())
