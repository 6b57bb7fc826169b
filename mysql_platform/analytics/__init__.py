"""Schema on read: the database's data as Parquet, queried by Athena on AWS or DuckDB locally.

The AWS half (snapshot export, Glue crawl, Athena query) uses boto3; the local half (MariaDB to
Parquet, DuckDB over it) uses pyarrow and DuckDB. All three are the ``analytics`` extra, imported
only by the modules that need them.
"""
