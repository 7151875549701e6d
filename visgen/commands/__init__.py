"""One module per subcommand, each with ``configure_parser(parser)`` and ``execute(args)``."""
