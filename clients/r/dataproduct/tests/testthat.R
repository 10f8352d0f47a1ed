# R CMD check runs these; they need a running `dataproduct serve` (see helper-server.R) and
# skip without one. tests/rclient/test_r_client.py runs them against a real server.
library(testthat)
library(dataproduct)
test_check("dataproduct")
