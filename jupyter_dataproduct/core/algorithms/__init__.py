"""Statistical algorithms behind the built-ins: sufficient statistics computed by polars
over lazy frames, finished in Python with scipy's special functions (:mod:`.distributions`)."""
