# Protocols: list, describe, run, re-run.

#' The product's protocols
#'
#' @param dp a \code{dp_connection}.
#' @return a data.frame with columns \code{name}, \code{version}, \code{title},
#'   \code{parameters} (a list column of parameter names) and \code{description}.
#' @export
dp_protocols <- function(dp) {
  check_connection(dp)
  items <- protocol_list(dp, refresh = TRUE)
  data.frame(
    name = vapply(items, function(p) p$name, ""),
    version = vapply(items, function(p) p$version, ""),
    title = vapply(items, function(p) p$title %||% "", ""),
    parameters = I(lapply(items, function(p) names(p$parameters) %||% character(0))),
    description = vapply(items, function(p) trimws(p$description %||% ""), ""),
    stringsAsFactors = FALSE
  )
}

protocol_list <- function(dp, refresh = FALSE) {
  if (refresh || is.null(dp$cache$protocols)) dp$cache$protocols <- request_json(dp, "GET", paste0(dp$base, "/protocols"))
  dp$cache$protocols
}

#' Describe one protocol: its parameters, their types, defaults and JSON Schema
#'
#' @param dp a \code{dp_connection}.
#' @param protocol a protocol name (or \code{name@version}).
#' @return a \code{dp_protocol} (a list with \code{name}, \code{version}, \code{title},
#'   \code{description}, \code{parameters}, \code{schema}); \code{print} shows the parameters.
#' @export
dp_describe <- function(dp, protocol) {
  check_connection(dp)
  structure(request_json(dp, "GET", paste0(dp$base, "/protocols/", segment(protocol))), class = "dp_protocol")
}

#' @export
print.dp_protocol <- function(x, ...) {
  cat(sprintf("<dp_protocol %s %s> %s\n", x$name, x$version, x$title %||% ""))
  if (nzchar(trimws(x$description %||% ""))) cat(strwrap(x$description, prefix = "  "), sep = "\n")
  cat("Parameters:\n")
  for (name in names(x$parameters)) {
    p <- x$parameters[[name]]
    default <- if (is.null(p$default)) "" else paste0(" = ", format_value(p$default))
    cat(sprintf("  %s (%s)%s%s\n", name, p$type, default, if (nzchar(p$title %||% "")) paste0(": ", p$title) else ""))
  }
  invisible(x)
}

format_value <- function(value) {
  if (is.list(value)) return(paste0("[", paste(vapply(value, format_value, ""), collapse = ", "), "]"))
  if (is.character(value)) return(deparse(value))
  format(value)
}

#' Run a protocol
#'
#' Parameters are given by name; those not given take the protocol's defaults. A cohort
#' parameter takes text (\code{"arms == 'ZDV'"}), a tree, or a filtered \code{tbl(dp, ...)}.
#' A list parameter (\code{"columns"}) may be a character vector of any length.
#'
#' @param dp a \code{dp_connection}.
#' @param protocol the protocol's name (or \code{name@version}).
#' @param ... the parameters, by name.
#' @param .snapshot the snapshot to run on; \code{"latest"} by default.
#' @return a \code{dp_result}: \code{$tables} (data.frames, factors for categories),
#'   \code{$values}, \code{$charts} (Vega-Lite specs as lists), \code{$provenance}.
#' @examples
#' \dontrun{
#' r <- dp_run(dp, "compare_arms", cohort_a = "arms == 'ZDV'", cohort_b = "arms == 'ddI'")
#' r$tables[[1]]
#' }
#' @export
dp_run <- function(dp, protocol, ..., .snapshot = "latest") {
  check_connection(dp)
  parameters <- list(...)
  if (length(parameters) && (is.null(names(parameters)) || any(names(parameters) == ""))) {
    stop_dp("Give every parameter of dp_run() by name, e.g. cohort_a = \"arms == 'ZDV'\".", "parameter_error")
  }
  parameters <- prepare_parameters(dp, protocol, parameters)
  payload <- request_json(dp, "POST", paste0(dp$base, "/protocols/", segment(protocol), "/run"),
                          query = list(snapshot = .snapshot, tables = "json"),
                          body = if (length(parameters)) parameters else structure(list(), names = character(0)))
  as_result(payload)
}

# List parameters travel as arrays even with one item; dplyr cohorts as their tree.
prepare_parameters <- function(dp, protocol, parameters) {
  declared <- NULL
  for (p in protocol_list(dp)) if (identical(p$name, sub("@.*$", "", protocol))) declared <- p$parameters
  for (name in names(parameters)) {
    value <- parameters[[name]]
    if (inherits(value, "dp_tbl")) {
      value <- cohort_tree(value)
    } else if (is.factor(value)) {
      value <- as.character(value)
    }
    type <- declared[[name]]$type %||% ""
    if (type %in% c("columns", "list", "values", "choices") || (is.atomic(value) && length(value) > 1)) value <- as.list(value)
    parameters[name] <- list(value)
  }
  parameters
}

#' Run again exactly what a result's provenance describes
#'
#' @param dp a \code{dp_connection}.
#' @param result a \code{dp_result} (or its \code{$provenance}).
#' @return a \code{dp_result}, equal to the first when the snapshot is unchanged.
#' @export
dp_rerun <- function(dp, result) {
  check_connection(dp)
  provenance <- if (inherits(result, "dp_result")) result$provenance else result
  if (!is.list(provenance) || is.null(provenance$protocol)) {
    stop_dp("dp_rerun() needs a dp_result (or its $provenance).", "parameter_error", details = list(parameter = "result"))
  }
  as_result(request_json(dp, "POST", paste0(dp$base, "/rerun"), query = list(tables = "json"), body = provenance))
}
