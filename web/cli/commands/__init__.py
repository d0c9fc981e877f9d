"""The ``koubei`` commands, one module per topic. ``web.cli`` finds every click command
defined at module level here, so a new command is a new function in one of these modules (or
a new module) and nothing else."""
