# Results: the JSON document of a run as an R object.

as_result <- function(payload) {
  tables <- lapply(payload$tables %||% list(), table_from_json)
  structure(list(
    tables = tables,
    values = lapply(payload$values %||% list(), simplify_value),
    charts = payload$charts %||% list(),
    provenance = payload$provenance
  ), class = "dp_result")
}

# A table sent as rows ({"columns", "records", "schema"}) as a data.frame with typed columns.
table_from_json <- function(payload) {
  columns <- unlist(payload$columns) %||% character(0)
  records <- payload$records %||% list()
  frame <- lapply(columns, function(name) column_values(lapply(records, function(row) row[[name]])))
  names(frame) <- columns
  frame <- structure(frame, class = "data.frame", row.names = .set_row_names(length(records)))
  schema <- payload$schema %||% list()
  for (name in intersect(columns, names(schema))) frame[[name]] <- as_model_type(frame[[name]], schema[[name]])
  frame
}

# One column's values (NULL = missing): an atomic vector when they are scalars, else a list.
column_values <- function(values) {
  scalar <- vapply(values, function(v) is.null(v) || (is.atomic(v) && length(v) == 1), TRUE)
  if (!all(scalar)) return(I(values))
  values[vapply(values, is.null, TRUE)] <- list(NA)
  unlist(values, use.names = FALSE) %||% logical(0)
}

simplify_value <- function(value) {
  if (is.list(value) && length(value) && all(vapply(value, function(v) is.atomic(v) && length(v) == 1, TRUE)) &&
      is.null(names(value))) {
    return(unlist(value))
  }
  value
}

#' @export
print.dp_result <- function(x, ...) {
  p <- x$provenance
  cat(sprintf("<dp_result %s %s on snapshot %s>\n", p$protocol, p$protocol_version, substr(p$snapshot %||% "", 1, 12)))
  if (length(x$values)) {
    cat("Values:\n")
    for (name in names(x$values)) {
      value <- x$values[[name]]
      shown <- if (is.atomic(value) && length(value) <= 5) paste(format(value), collapse = ", ") else
        sprintf("<%s of %d>", class(value)[1], length(value))
      cat(sprintf("  %s: %s\n", name, shown))
    }
  }
  if (length(x$tables)) {
    cat("Tables:", paste(sprintf("%s (%d x %d)", names(x$tables), vapply(x$tables, nrow, 0L),
                                 vapply(x$tables, ncol, 0L)), collapse = ", "), "\n")
    print(utils::head(x$tables[[1]], 10))
  }
  if (length(x$charts)) cat("Charts (Vega-Lite):", paste(names(x$charts), collapse = ", "), "\n")
  invisible(x)
}

#' A result's chart as Vega-Lite JSON text
#'
#' @param result a \code{dp_result}.
#' @param name the chart's name; the first chart by default.
#' @return the Vega-Lite specification as JSON text, e.g. for
#'   \code{IRdisplay::publish_mimebundle(list("application/vnd.vegalite.v5+json" = ...))}.
#' @export
dp_chart_json <- function(result, name = names(result$charts)[1]) {
  if (is.null(name) || is.null(result$charts[[name]])) {
    stop_dp(sprintf("No chart %s; this result has: %s.", deparse(name %||% ""),
                    paste(names(result$charts), collapse = ", ")), "parameter_error")
  }
  to_json(result$charts[[name]])
}

#' Display a result's chart in Jupyter (the R kernel) with the Vega-Lite renderer
#'
#' @inheritParams dp_chart_json
#' @export
dp_show_chart <- function(result, name = names(result$charts)[1]) {
  spec <- jsonlite::fromJSON(dp_chart_json(result, name), simplifyVector = FALSE)
  if (!requireNamespace("IRdisplay", quietly = TRUE)) stop_dp("dp_show_chart() needs the IRdisplay package.")
  IRdisplay::publish_mimebundle(list(`application/vnd.vegalite.v5+json` = spec,
                                     `text/plain` = sprintf("<Vega-Lite chart %s>", name)))
  invisible(result)
}
