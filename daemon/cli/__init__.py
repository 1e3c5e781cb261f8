"""The ``foxbridge`` command. One module per sub-command; ``main`` dispatches."""
