"""Reports built outside a request: usable from the command line and the scheduler without Flask."""
