# Frames compared with the Python client's frame of the same request: the same columns,
# the same values, and the R type that matches each Python type.

R_TYPES <- list(int = "integer", float = "double", bool = "logical", string = "character",
                date = "Date", category = "factor", datetime = "POSIXct")

expect_same_frame <- function(frame, reference, label) {
  expect_identical(names(frame), names(reference$columns), label = label)
  expect_equal(nrow(frame), length(reference$columns[[1]]), label = label)
  for (name in names(reference$columns)) {
    schema <- reference$schema[[name]]
    column <- frame[[name]]
    expected <- vapply(reference$columns[[name]], function(v) if (is.null(v)) NA_character_ else as.character(v), "")
    what <- paste(label, name)
    switch(schema$type,
      int = { expect_type(column, "integer"); expect_identical(column, as.integer(expected), label = what) },
      float = { expect_type(column, "double"); expect_equal(column, as.double(expected), label = what) },
      bool = { expect_type(column, "logical"); expect_identical(column, as.logical(toupper(expected)), label = what) },
      string = { expect_type(column, "character"); expect_identical(column, expected, label = what) },
      date = { expect_s3_class(column, "Date"); expect_identical(format(column), expected, label = what) },
      category = {
        expect_s3_class(column, "factor")
        expect_identical(levels(column), unlist(schema$levels), label = what)
        expect_identical(as.character(column), expected, label = what)
      },
      fail(paste("no comparison for type", schema$type))
    )
  }
}

test_that("frames equal the Python client's frames of the same requests, values and types", {
  folder <- env_or_skip("DATAPRODUCT_REFERENCE")
  requests <- jsonlite::fromJSON(file.path(folder, "requests.json"), simplifyVector = FALSE)
  connections <- list(actg175 = actg(), tiny = tiny())
  types_seen <- character(0)
  for (request in requests) {
    reference <- jsonlite::fromJSON(file.path(folder, paste0(request$name, ".json")), simplifyVector = FALSE)
    for (format in c("csv", "ndjson")) {
      frame <- dp_frame(connections[[request$product]], request$entity, where = request$where,
                        columns = unlist(request$columns), limit = request$limit, format = format, progress = FALSE)
      expect_same_frame(frame, reference, paste(request$name, format))
    }
    types_seen <- c(types_seen, vapply(reference$schema, function(s) s$type, ""))
  }
  # The requests cover every type the tiny and ACTG products have.
  expect_setequal(unique(types_seen), c("int", "float", "bool", "string", "date", "category"))
})

test_that("dp_frame sends where, columns and limit, and names the snapshot read", {
  dp <- actg()
  frame <- dp_frame(dp, "patients", where = "age >= 40", columns = c("pidnum", "age", "arms"), progress = FALSE)
  expect_identical(names(frame), c("pidnum", "age", "arms"))
  expect_true(all(frame$age >= 40))
  expect_equal(nrow(frame), 584)
  expect_equal(attr(frame, "snapshot"), dp_snapshots(dp)$id[1])
  expect_equal(nrow(dp_frame(dp, "labs", limit = 7, progress = FALSE)), 7)
})

test_that("a cohort tree (a list) works as where", {
  dp <- actg()
  tree <- list(and = list(list(column = "age", op = ">=", value = 40),
                          list(column = "arms", op = "in", value = list("ZDV", "ddI"))))
  expect_equal(dp_frame(dp, "patients", where = tree, progress = FALSE),
               dp_frame(dp, "patients", where = "age >= 40 and arms in ('ZDV', 'ddI')", progress = FALSE))
})

test_that("joined entities' columns get their own types", {
  frame <- dp_frame(actg(), "patients", where = "age >= 60", join = "labs", progress = FALSE)
  expect_true(all(c("arms", "marker", "week", "count") %in% names(frame)))
  expect_identical(levels(frame$marker), c("CD4", "CD8"))
  expect_type(frame$count, "integer")
  expect_gt(nrow(frame), 29)  # 29 patients, one row per measurement
})

test_that("a frame with no rows still has its columns and their types", {
  frame <- dp_frame(actg(), "patients", where = "age > 200", columns = c("pidnum", "arms", "wtkg"), progress = FALSE)
  expect_equal(nrow(frame), 0)
  expect_identical(names(frame), c("pidnum", "arms", "wtkg"))
  expect_type(frame$pidnum, "integer")
  expect_s3_class(frame$arms, "factor")
  expect_type(frame$wtkg, "double")
})

test_that("progress shows the megabytes received, for transfers longer than a second", {
  frame <- dp_frame(actg(), "patients", progress = TRUE)
  expect_equal(nrow(frame), 2139)
  report <- progress_bar(after = 0, every = 0)
  expect_message(report$options$progressfunction(c(2e6, 1e6), c(0, 0)), "^\rreceived 1.0 MB of 2.0 MB in 0 s$")
  expect_message(attr(report, "finish")())  # ends the line
  quiet <- progress_bar(after = 60)
  expect_silent(quiet$options$progressfunction(c(2e6, 1e6), c(0, 0)))
  expect_silent(attr(quiet, "finish")())
})

test_that("bad frame requests are R errors with the server's message", {
  dp <- actg()
  expect_error(dp_frame(dp, "patients", where = "bogus > 1", progress = FALSE), "no column 'bogus'", class = "dp_error")
  expect_error(dp_frame(dp, "patients", columns = "nope", progress = FALSE), "nope", class = "dp_error")
  expect_error(dp_frame(dp, "nosuch", progress = FALSE), "nosuch", class = "dp_error")
  expect_error(dp_frame(dp, "patients", format = "xml"), "should be one of")
})

test_that("model types become R types (dates, datetimes, labelled categories)", {
  expect_equal(as_model_type(c("2024-01-05", NA), list(type = "date")), as.Date(c("2024-01-05", NA)))
  expect_equal(as_model_type("2024-01-05T10:30:00.000000", list(type = "datetime")),
               as.POSIXct("2024-01-05 10:30:00", tz = "UTC"))
  labelled <- as_model_type(c("b", "a", NA), list(type = "category", labels = list(`1` = "b", `2` = "a")))
  expect_identical(levels(labelled), c("b", "a"))
  expect_identical(as.character(labelled), c("b", "a", NA))
})
