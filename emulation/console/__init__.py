"""The local web console: one page that watches and drives a running stack.

Served by the control API at ``/_rez/console/`` (``make up`` prints the URL). It is a static page
with plain JavaScript (no build step) that polls JSON endpoints: the control API's own
(``/_rez/clock``, ``/_rez/traces``, ``/_rez/logs``, ``/_rez/alarms``, function faults) and the
console's ``/_rez/console/api/...``, which read through the stack's AWS endpoint and its HTTP API
(as the demo user) so that what the console shows is what the system stores. Mermaid is vendored
under ``static/vendor`` (see its README): nothing is fetched from a CDN.
"""

from emulation.console.app import create_console_app

__all__ = ["create_console_app"]
