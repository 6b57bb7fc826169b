"""mysql-platform: the Pulumi program. Everything lives in mysql_platform/components/program.py."""

from mysql_platform.components.program import program

program()
