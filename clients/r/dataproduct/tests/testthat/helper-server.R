# The server the tests talk to: $DATAPRODUCT_URL with $DATAPRODUCT_TOKEN (an analyst),
# $DATAPRODUCT_READER_TOKEN, $DATAPRODUCT_TINY_URL / $DATAPRODUCT_TINY_TOKEN (the tiny
# product with strings and dates) and $DATAPRODUCT_REFERENCE (the Python client's frames).
# tests/rclient/test_r_client.py starts the server and sets them.

env_or_skip <- function(name) {
  value <- Sys.getenv(name)
  if (!nzchar(value)) testthat::skip(paste0("$", name, " is not set: no dataproduct server to test against"))
  value
}

actg <- function(token = env_or_skip("DATAPRODUCT_TOKEN")) dp_connect(env_or_skip("DATAPRODUCT_URL"), token = token)

tiny <- function() dp_connect(env_or_skip("DATAPRODUCT_TINY_URL"), token = env_or_skip("DATAPRODUCT_TINY_TOKEN"))

# The error an expression signals (NULL if none), to look at its class, code and details
# (a skip is not caught).
caught <- function(expr) tryCatch({ expr; NULL }, error = function(e) e)
