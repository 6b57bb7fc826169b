"""mysql-platform: the Pulumi program. Everything lives in components/program.py."""

from components.program import program

program()
