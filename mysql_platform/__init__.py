"""mysql-platform: MySQL on AWS as code, and the tools around it.

The subpackages, one concern each: ``components`` (the Pulumi program), ``core`` (the outputs
contract and the HAProxy renderer), ``db`` (connections, migrations, bootstrap), ``router``
(read/write routing for services), ``local`` (the local environment), ``stack`` (Automation
API), ``planning`` (the offline plan), ``analytics`` and ``cli``. Importing this package
imports none of them.
"""

__version__ = "0.1.0"
