"""SigV4 client and list-images CLI for the ListImages endpoint."""
