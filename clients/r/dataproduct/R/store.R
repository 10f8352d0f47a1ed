# Snapshots, artifacts and history: what the product keeps.

#' The product's snapshots, newest first
#'
#' @param dp a \code{dp_connection}.
#' @return a data.frame: \code{id}, \code{created} (POSIXct, UTC), \code{tags} (comma
#'   separated), \code{product_version} and one \code{rows_<entity>} column per entity.
#' @export
dp_snapshots <- function(dp) {
  check_connection(dp)
  items <- request_json(dp, "GET", paste0(dp$base, "/snapshots"))
  frame <- data.frame(
    id = vapply(items, function(s) s$id, ""),
    created = parse_time(vapply(items, function(s) s$created %||% NA_character_, "")),
    tags = vapply(items, function(s) paste(unlist(s$tags), collapse = ", "), ""),
    product_version = vapply(items, function(s) s$product_version %||% NA_character_, ""),
    stringsAsFactors = FALSE
  )
  for (entity in unique(unlist(lapply(items, function(s) names(s$rows))))) {
    frame[[paste0("rows_", entity)]] <- vapply(items, function(s) as.numeric(s$rows[[entity]] %||% NA), 0)
  }
  frame
}

parse_time <- function(text) {
  # "2026-12-01T14:25:16.004+00:00": the server writes UTC.
  as.POSIXct(sub("T", " ", substr(text, 1, 23)), tz = "UTC", format = "%Y-%m-%d %H:%M:%OS")
}

#' The product's saved artifacts (cohorts and results)
#'
#' @param dp a \code{dp_connection}.
#' @return a data.frame with one row per artifact: \code{name}, \code{kind} and the other
#'   fields the server reports.
#' @export
dp_artifacts <- function(dp) {
  check_connection(dp)
  records_frame(request_json(dp, "GET", paste0(dp$base, "/artifacts")), c("name", "kind"))
}

#' Load one saved artifact
#'
#' @param dp a \code{dp_connection}.
#' @param name the artifact's name.
#' @return a \code{dp_result} for a saved result, a list (\code{entity}, \code{tree},
#'   \code{text}) for a cohort, a data.frame for a table.
#' @export
dp_artifact <- function(dp, name) {
  check_connection(dp)
  payload <- request_json(dp, "GET", paste0(dp$base, "/artifacts/", segment(name)), query = list(tables = "json"))
  switch(payload$kind,
    result = as_result(payload$value),
    cohort = payload$value,
    table_from_json(payload$value)
  )
}

#' Save a result or a cohort as a named artifact of the product
#'
#' A result is saved as the server computed it (by its history entry, or by re-running its
#' provenance); its tables are not uploaded. A cohort is text, a tree or a filtered
#' \code{tbl(dp, entity)}.
#'
#' @param dp a \code{dp_connection}.
#' @param name the artifact's name.
#' @param x a \code{dp_result}, cohort text, a cohort tree (list) or a \code{dp_tbl}.
#' @param entity the cohort's entity (taken from a \code{dp_tbl}).
#' @param description a description of the cohort.
#' @param overwrite replace an artifact of this name.
#' @return the saved artifact's metadata (a list).
#' @export
dp_save <- function(dp, name, x, entity = NULL, description = "", overwrite = FALSE) {
  check_connection(dp)
  if (inherits(x, "dp_result")) {
    provenance <- x$provenance
    body <- list(kind = "result", history_id = provenance$history_id,
                 provenance = provenance[setdiff(names(provenance), "history_id")], overwrite = overwrite)
  } else {
    if (inherits(x, "dp_tbl")) {
      entity <- x$entity
      x <- cohort_tree(x)
    }
    if (is.null(entity)) {
      stop_dp("Saving a cohort needs its entity, e.g. dp_save(dp, 'older', 'age >= 40', entity = 'patients').",
              "parameter_error", details = list(parameter = "entity"))
    }
    if (!(is.character(x) && length(x) == 1) && !is.list(x)) {
      stop_dp("dp_save() saves a dp_result, cohort text, a cohort tree (list) or a tbl(dp, entity) with filter().",
              "parameter_error", details = list(parameter = "x"))
    }
    body <- list(kind = "cohort", entity = entity, cohort = x, description = description, overwrite = overwrite)
  }
  body <- body[!vapply(body, is.null, TRUE)]
  invisible(request_json(dp, "PUT", paste0(dp$base, "/artifacts/", segment(name)), body = body))
}

#' The product's analysis history: every run, newest first
#'
#' @param dp a \code{dp_connection}.
#' @param limit the newest this many entries (\code{NULL}: all).
#' @return a data.frame: \code{id}, \code{when} (POSIXct, UTC), \code{who}, \code{protocol},
#'   \code{snapshot}, and \code{provenance} (a list column: give one to \code{dp_rerun()}).
#' @export
dp_history <- function(dp, limit = NULL) {
  check_connection(dp)
  items <- request_json(dp, "GET", paste0(dp$base, "/history"), query = if (!is.null(limit)) list(limit = limit))
  data.frame(
    id = vapply(items, function(e) e$id, ""),
    when = parse_time(vapply(items, function(e) e$when %||% NA_character_, "")),
    who = vapply(items, function(e) e$who %||% NA_character_, ""),
    protocol = vapply(items, function(e) e$protocol %||% NA_character_, ""),
    snapshot = vapply(items, function(e) e$snapshot %||% NA_character_, ""),
    provenance = I(lapply(items, function(e) e$provenance)),
    stringsAsFactors = FALSE
  )
}

# Records (a list of named lists) as a data.frame, `first` leading; fields that are not
# scalars become list columns.
records_frame <- function(items, first) {
  fields <- unique(c(first, unlist(lapply(items, names))))
  columns <- lapply(fields, function(f) column_values(lapply(items, function(item) item[[f]])))
  names(columns) <- fields
  structure(columns, class = "data.frame", row.names = .set_row_names(length(items)))
}
