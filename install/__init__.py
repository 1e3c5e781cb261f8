"""Installing foxbridge for the current user: registrations, autostart, uninstall, doctor.

Pure pieces (no I/O):

- ``machine``: which OS, whose home, which environment (every platform rule takes one);
- ``browsers``: the Chromium-family browsers, their data folders and registry keys;
- ``manifest``, ``launcher``, ``autostart``: the text of the files we write;
- ``sandboxes``: spotting Snap and Flatpak browsers, and what to tell their users.

I/O, each behind a small seam tests can replace:

- ``files`` (write only when changed), ``record`` (what an install created);
- ``registry`` (the Windows registry, or a dictionary), ``commands`` (systemctl/launchctl);
- ``daemon_process`` (start, find and stop the daemon), ``startup`` (autostart on and off);
- ``installer`` (install and uninstall), ``doctor`` (the installation's health checks).

``install.sh`` and ``install.ps1`` are the first commands a user runs from the source tree.
"""
