test_that("dp_connect reaches the product and knows its entities", {
  dp <- actg()
  expect_s3_class(dp, "dp_connection")
  expect_equal(dp$name, "actg175")
  expect_setequal(names(dp$info$entities), c("patients", "labs"))
  expect_output(print(dp), "actg175 1.0.0: ACTG 175 clinical trial")
})

test_that("the token comes from $DATAPRODUCT_TOKEN by default and never shows in print", {
  env_or_skip("DATAPRODUCT_TOKEN")
  dp <- dp_connect(env_or_skip("DATAPRODUCT_URL"))
  expect_equal(dp$name, "actg175")
  expect_false(any(grepl(Sys.getenv("DATAPRODUCT_TOKEN"), capture.output(print(dp)), fixed = TRUE)))
})

test_that("the URL may also be the API's own product URL", {
  url <- sub("/actg175$", "/api/products/actg175", env_or_skip("DATAPRODUCT_URL"))
  expect_equal(dp_connect(url, token = env_or_skip("DATAPRODUCT_TOKEN"))$name, "actg175")
})

test_that("a bad token is an R error with the server's message, not an HTTP dump", {
  error <- caught(actg(token = "dp_not_a_token"))
  expect_s3_class(error, "dp_error_unauthorized")
  expect_s3_class(error, "dp_error")
  expect_equal(error$code, "unauthorized")
  expect_equal(error$status, 401L)
  expect_equal(conditionMessage(error), "A valid token is required.")
  expect_error(actg(token = ""), "A valid token is required. (No token was given: pass token = or set $DATAPRODUCT_TOKEN.)",
               fixed = TRUE, class = "dp_error_unauthorized")
})

test_that("without a product in the URL, the one product the token may read is chosen", {
  root <- sub("/actg175$", "", env_or_skip("DATAPRODUCT_URL"))
  # The server serves two products; this token is valid for one of them.
  expect_equal(dp_connect(root, token = env_or_skip("DATAPRODUCT_TOKEN"))$name, "actg175")
  expect_error(dp_connect(paste0(root, "/nosuch"), token = Sys.getenv("DATAPRODUCT_TOKEN")),
               "No product named 'nosuch'", class = "dp_error_not_found")
})

test_that("a URL that is not http(s) and a server that is not there are clear errors", {
  expect_error(dp_connect("actg175"), "url must be one http\\(s\\) URL", class = "dp_error_parameter_error")
  error <- caught(dp_connect("http://127.0.0.1:9/actg175", token = "x"))
  expect_s3_class(error, "dp_error_connection_error")
  expect_match(conditionMessage(error), "^Cannot reach http://127.0.0.1:9")
})

test_that("functions refuse what is not a connection", {
  expect_error(dp_protocols("http://127.0.0.1:8750"), "dp must be a connection from dp_connect()",
               class = "dp_error_parameter_error")
})
