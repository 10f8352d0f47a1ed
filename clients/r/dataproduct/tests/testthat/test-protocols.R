test_that("dp_protocols lists name, version, title and parameters", {
  protocols <- dp_protocols(actg())
  expect_s3_class(protocols, "data.frame")
  expect_identical(names(protocols)[1:4], c("name", "version", "title", "parameters"))
  expect_true(all(c("compare_arms", "survival", "cox_model") %in% protocols$name))
  compare <- protocols[protocols$name == "compare_arms", ]
  expect_equal(compare$version, "1.0.0")
  expect_equal(compare$parameters[[1]], c("cohort_a", "cohort_b", "variables"))
})

test_that("dp_describe gives the parameters with their types, defaults and JSON Schema", {
  described <- dp_describe(actg(), "survival")
  expect_s3_class(described, "dp_protocol")
  expect_equal(described$parameters$group$type, "column")
  expect_equal(described$parameters$group$default, "arms")
  expect_equal(described$schema$type, "object")
  expect_output(print(described), "group \\(column\\) = \"arms\"")
  expect_error(dp_describe(actg(), "nosuch"), class = "dp_error")
})

test_that("dp_run returns tables, values, Vega-Lite charts and provenance", {
  r <- dp_run(actg(), "compare_arms", cohort_a = "arms == 'ZDV'", cohort_b = "arms == 'ddI'")
  expect_s3_class(r, "dp_result")
  table <- r$tables$comparison
  expect_s3_class(table, "data.frame")
  expect_equal(nrow(table), 20)
  expect_type(table$n_a, "integer")
  expect_type(table$p_value, "double")
  expect_equal(table$n_a[1] + table$missing_a[1], 532L)  # the ZDV arm of the trial
  expect_match(r$charts[[1]][["$schema"]], "^https://vega.github.io/schema/vega-lite/v5")
  expect_equal(r$provenance$protocol, "compare_arms")
  expect_equal(r$provenance$parameters$cohort_a$text, "arms == 'ZDV'")
  expect_output(print(r), "<dp_result compare_arms 1.0.0 on snapshot")
  spec <- jsonlite::fromJSON(dp_chart_json(r), simplifyVector = FALSE)
  expect_equal(spec, r$charts[[1]])
})

test_that("categories in result tables are factors with the server's levels, and values are R values", {
  dp <- actg()
  extract <- dp_run(dp, "patients", cohort = "age >= 60", columns = c("pidnum", "arms", "cens"))$tables$extract
  expect_s3_class(extract$arms, "factor")
  expect_equal(levels(extract$arms), c("ZDV", "ZDV+ddI", "ZDV+Zal", "ddI"))
  expect_type(extract$cens, "logical")
  expect_equal(extract, dp_frame(dp, "patients", where = "age >= 60", columns = c("pidnum", "arms", "cens"),
                                 progress = FALSE), ignore_attr = TRUE)
  survival <- dp_run(dp, "survival", group = "arms")
  expect_gt(survival$values$chisq, 40)  # the four arms differ clearly
  expect_lt(survival$values$p_value, 1e-8)
})

test_that("a one-item list parameter still travels as a list", {
  r <- dp_run(actg(), "compare_arms", cohort_a = "arms == 'ZDV'", cohort_b = "arms == 'ddI'", variables = "age")
  expect_equal(r$tables$comparison$variable, "age")
})

test_that("a bad parameter is an R error naming the parameter", {
  error <- caught(dp_run(actg(), "compare_arms", cohort_a = "bogus == 1"))
  expect_s3_class(error, "dp_error")
  expect_equal(error$details$parameter, "cohort_a")
  expect_match(conditionMessage(error), "^Parameter 'cohort_a': patients has no column 'bogus'")
  unknown <- caught(dp_run(actg(), "survival", nonsense = 1))
  expect_s3_class(unknown, "dp_error")
  expect_match(conditionMessage(unknown), "nonsense")
  expect_error(dp_run(actg(), "survival", "arms"), "by name", class = "dp_error_parameter_error")
})

test_that("a reader may not run protocols", {
  reader <- actg(token = env_or_skip("DATAPRODUCT_READER_TOKEN"))
  expect_error(dp_run(reader, "survival"), "This token is not allowed to do this.", class = "dp_error_forbidden")
})

test_that("dp_rerun reproduces a result exactly", {
  dp <- actg()
  first <- dp_run(dp, "compare_arms", cohort_a = "arms == 'ZDV'", cohort_b = "age >= 40")
  again <- dp_rerun(dp, first)
  expect_equal(again$tables, first$tables)
  expect_equal(again$values, first$values)
  expect_equal(again$provenance$snapshot, first$provenance$snapshot)
  expect_error(dp_rerun(dp, list(a = 1)), "needs a dp_result", class = "dp_error_parameter_error")
})

test_that("non-finite numbers in JSON (NaN, Infinity) become R's NaN and Inf, strings untouched", {
  parsed <- from_json('{"a": NaN, "b": [1, -Infinity, Infinity], "c": "NaN and Infinity", "d": {"e": NaN}}')
  expect_true(is.nan(parsed$a))
  expect_equal(unlist(parsed$b), c(1, -Inf, Inf))
  expect_equal(parsed$c, "NaN and Infinity")
  expect_true(is.nan(parsed$d$e))
})
