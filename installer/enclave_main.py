"""The bundle's entry point: the same `enclave` command as a pip install."""

from core.cli import main

raise SystemExit(main())
