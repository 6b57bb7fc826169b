"""The Pulumi components of mysql-platform, by their public names.

The code lives in :mod:`mysql_platform.components`, one module a component; this package only
re-exports the components and their arguments, so that a checkout keeps the design card's
layout and a program of your own can write ``from components import Network``. Installed from
the wheel, import from ``mysql_platform.components`` instead: this folder is not shipped.
"""

from mysql_platform.components.alerts import Alerts, AlertsArgs
from mysql_platform.components.analytics import Analytics, AnalyticsArgs
from mysql_platform.components.database import MySqlDatabase, MySqlDatabaseArgs
from mysql_platform.components.ec2_host import Ec2Host, Ec2HostArgs
from mysql_platform.components.multiaz_cluster import MultiAzMySqlCluster
from mysql_platform.components.network import Network, NetworkArgs
from mysql_platform.components.program import program
from mysql_platform.components.replicated import ReplicatedMySql, ReplicatedMySqlArgs

__all__ = [
    "Alerts",
    "AlertsArgs",
    "Analytics",
    "AnalyticsArgs",
    "Ec2Host",
    "Ec2HostArgs",
    "MultiAzMySqlCluster",
    "MySqlDatabase",
    "MySqlDatabaseArgs",
    "Network",
    "NetworkArgs",
    "ReplicatedMySql",
    "ReplicatedMySqlArgs",
    "program",
]
