from newsmirror.cli import main

raise SystemExit(main())
