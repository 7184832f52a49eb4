"""The book's machinery: profiles, results and claims, the notebook runner, the site builder,
the command line, the Dask scale-out and its benchmark. Imports core and papers."""
