"""``python -m web.cli``: the ``koubei`` command."""
from web.cli import main

main()
