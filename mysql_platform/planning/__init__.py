"""Plan without credentials: the program under the mock engine, shown, priced, compared, drawn."""
