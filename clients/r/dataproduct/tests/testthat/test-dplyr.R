suppressPackageStartupMessages(library(dplyr))

test_that("filter and select through dplyr give the frame of the same cohort as text", {
  dp <- actg()
  through_dplyr <- tbl(dp, "patients") |>
    filter(age >= 40, arms %in% c("ZDV", "ddI")) |>
    select(pidnum, age, arms) |>
    collect()
  as_text <- dp_frame(dp, "patients", where = "age >= 40 and arms in ('ZDV', 'ddI')",
                      columns = c("pidnum", "age", "arms"), progress = FALSE)
  expect_equal(through_dplyr, as_text)
  expect_equal(nrow(through_dplyr), 296)
  lazy <- tbl(dp, "patients") |> filter(age >= 40, arms %in% c("ZDV", "ddI")) |> select(pidnum, age, arms)
  expect_equal(as.data.frame(lazy), as_text)
})

test_that("filter translates into the server's cohort tree", {
  dp <- actg()
  lower <- 30
  arms <- c("ZDV", "ddI")
  lazy <- tbl(dp, "patients") |>
    filter(between(age, lower, 50) | !is.na(cd496), !(arms %in% .env$arms), cens, 400 > cd40)
  expect_equal(cohort_tree(lazy), list(and = list(
    list(or = list(list(column = "age", op = "between", value = list(30, 50)),
                   list(column = "cd496", op = "is not null"))),
    list(column = "arms", op = "not in", value = list("ZDV", "ddI")),
    list(column = "cens", op = "==", value = TRUE),
    list(column = "cd40", op = "<", value = 400)
  )))
  text <- "(age between 30 and 50 or cd496 is not null) and arms not in ('ZDV', 'ddI') and cens == true and cd40 < 400"
  expect_equal(collect(lazy), dp_frame(dp, "patients", where = text, progress = FALSE))
  expect_output(print(lazy), "arms not in \\('ZDV', 'ddI'\\)")
})

test_that("head() becomes the limit and select() accepts tidyselect helpers", {
  frame <- tbl(actg(), "patients") |> select(pidnum, starts_with("cd4")) |> head(5) |> collect()
  expect_equal(nrow(frame), 5)
  expect_identical(names(frame), c("pidnum", "cd40", "cd420", "cd496", "cd4_change_20"))
})

test_that("a dplyr cohort is a protocol parameter", {
  dp <- actg()
  older <- tbl(dp, "patients") |> filter(age >= 40)
  r1 <- dp_run(dp, "compare_arms", cohort_a = older, cohort_b = "arms == 'ddI'", variables = c("age", "wtkg"))
  r2 <- dp_run(dp, "compare_arms", cohort_a = "age >= 40", cohort_b = "arms == 'ddI'", variables = c("age", "wtkg"))
  expect_equal(r1$tables, r2$tables)
})

test_that("verbs the server cannot do are refused with what to do instead", {
  lazy <- tbl(actg(), "patients")
  expect_error(mutate(lazy, older = age > 40), "mutate\\(\\) does not run on a data product.*collect\\(\\) first",
               class = "dp_error_unsupported_verb")
  expect_error(arrange(lazy, age), "collect\\(\\) first", class = "dp_error_unsupported_verb")
  expect_error(summarise(lazy, n = n()), "collect\\(\\) first", class = "dp_error_unsupported_verb")
  expect_error(group_by(lazy, arms), "collect\\(\\) first", class = "dp_error_unsupported_verb")
  expect_error(select(lazy, years = age), "does not rename", class = "dp_error_unsupported_verb")
})

test_that("filters the server cannot do are refused, naming the expression", {
  lazy <- tbl(actg(), "patients")
  expect_error(filter(lazy, age * 2 > 80), "cannot send `age \\* 2 > 80`.*collect\\(\\) first",
               class = "dp_error_unsupported_filter")
  expect_error(filter(lazy, age == c(1, 2)), "use %in% for several", class = "dp_error_unsupported_filter")
  expect_error(filter(lazy, nchar(arms) > 2), class = "dp_error_unsupported_filter")
  expect_error(filter(lazy, cd420 > cd40), "compares two columns.*\\.env\\$name", class = "dp_error_unsupported_filter")
  cd40 <- 300  # an R variable named like a column: .env says which is meant
  expect_equal(cohort_tree(filter(lazy, cd420 > .env$cd40)), list(column = "cd420", op = ">", value = 300))
})

test_that("an unknown entity or column is an error naming what exists", {
  dp <- actg()
  expect_error(tbl(dp, "nosuch"), "No entity \"nosuch\"; this product has: patients, labs",
               class = "dp_error_entity_not_found")
  expect_error(select(tbl(dp, "patients"), nosuch))
})
