# A lazy dplyr table: filter() becomes the server's cohort tree, select() its column list,
# head() its limit; collect() reads the frame. Nothing else runs on the server.

#' A lazy table of one entity, for dplyr
#'
#' \code{tbl(dp, "patients") |> filter(age >= 40, arms \%in\% c("ZDV", "ddI")) |>
#' select(pidnum, age, arms) |> collect()} sends the filter as a cohort tree and the
#' selection as columns, so only those rows and columns travel. \code{filter()} knows
#' \code{==, !=, <, <=, >, >=}, \code{\%in\%}, \code{is.na()}, \code{between()},
#' \code{&}, \code{|}, \code{!} and a bare logical column; values come from R (variables,
#' \code{!!x}, \code{.env$x}). Other verbs (\code{mutate}, \code{arrange}, \code{summarise},
#' joins ...) are refused: \code{collect()} first.
#'
#' @param src a \code{dp_connection}.
#' @param from the entity's name.
#' @param ... unused.
#' @return a \code{dp_tbl}.
#' @export
tbl.dp_connection <- function(src, from, ...) {
  if (!is.character(from) || length(from) != 1 || is.null(src$info$entities[[from]])) {
    stop_dp(sprintf("No entity %s; this product has: %s.", deparse(from),
                    paste(names(src$info$entities), collapse = ", ")),
            "entity_not_found", details = list(entity = from, allowed = as.list(names(src$info$entities))))
  }
  structure(list(dp = src, entity = from, conditions = list(), columns = NULL, limit = NULL), class = "dp_tbl")
}

#' @export
filter.dp_tbl <- function(.data, ..., .preserve = FALSE) {
  columns <- names(.data$dp$info$entities[[.data$entity]]$columns)
  for (quo in rlang::enquos(...)) {
    node <- translate(rlang::quo_get_expr(quo), rlang::quo_get_env(quo), columns)
    .data$conditions <- c(.data$conditions, list(node))
  }
  .data
}

#' @export
select.dp_tbl <- function(.data, ...) {
  available <- .data$columns %||% names(.data$dp$info$entities[[.data$entity]]$columns)
  prototype <- structure(rep(list(logical(0)), length(available)), names = available)
  chosen <- tidyselect::eval_select(rlang::expr(c(...)), prototype)
  if (!identical(names(chosen), available[chosen])) {
    stop_dp("select() on a data product picks columns; it does not rename them. collect() first, then rename().",
            "unsupported_verb", details = list(verb = "select"))
  }
  .data$columns <- available[chosen]
  .data
}

#' @export
head.dp_tbl <- function(x, n = 6L, ...) {
  x$limit <- min(c(x$limit, as.integer(n)))
  x
}

#' @export
collect.dp_tbl <- function(x, ..., progress = interactive()) {
  dp_frame(x$dp, x$entity, where = cohort_tree(x), columns = x$columns, limit = x$limit, progress = progress)
}

#' @export
as.data.frame.dp_tbl <- function(x, row.names = NULL, optional = FALSE, ...) collect.dp_tbl(x, progress = FALSE)

#' @export
print.dp_tbl <- function(x, ...) {
  cat(sprintf("<dp_tbl %s of %s>\n", x$entity, x$dp$name))
  cat("  where:  ", if (length(x$conditions)) tree_text(cohort_tree(x)) else "(every row)", "\n")
  cat("  columns:", if (is.null(x$columns)) "(all)" else paste(x$columns, collapse = ", "), "\n")
  if (!is.null(x$limit)) cat("  limit:  ", x$limit, "\n")
  cat("collect() to read it.\n")
  invisible(x)
}

# The filter's cohort tree; NULL when nothing was filtered.
cohort_tree <- function(x) {
  if (!length(x$conditions)) return(NULL)
  if (length(x$conditions) == 1) x$conditions[[1]] else list(and = x$conditions)
}

COMPARISONS <- c("==", "!=", "<", "<=", ">", ">=")
FLIPPED <- c(`==` = "==", `!=` = "!=", `<` = ">", `<=` = ">=", `>` = "<", `>=` = "<=")

translate <- function(expr, env, columns) {
  if (is.symbol(expr) && as.character(expr) %in% columns) {
    return(list(column = as.character(expr), op = "==", value = TRUE))  # a logical column
  }
  if (!is.call(expr)) refuse(expr)
  fn <- call_name(expr)
  args <- as.list(expr)[-1]
  if (fn == "(") return(translate(args[[1]], env, columns))
  if (fn %in% c("&", "&&")) return(list(and = list(translate(args[[1]], env, columns), translate(args[[2]], env, columns))))
  if (fn %in% c("|", "||")) return(list(or = list(translate(args[[1]], env, columns), translate(args[[2]], env, columns))))
  if (fn == "!") {
    inner <- translate(args[[1]], env, columns)
    if (identical(inner$op, "in")) return(modifyList(inner, list(op = "not in")))
    if (identical(inner$op, "is null")) return(list(column = inner$column, op = "is not null"))
    return(list(not = inner))
  }
  if (fn %in% COMPARISONS) {
    left <- column_of(args[[1]], columns)
    right <- column_of(args[[2]], columns)
    if (!is.null(left) && !is.null(right)) refuse_two_columns(expr)
    if (!is.null(left)) return(list(column = left, op = fn, value = scalar(value_of(args[[2]], env), expr)))
    if (!is.null(right)) return(list(column = right, op = FLIPPED[[fn]], value = scalar(value_of(args[[1]], env), expr)))
  }
  if (fn == "%in%" && !is.null(column <- column_of(args[[1]], columns))) {
    if (!is.null(column_of(args[[2]], columns))) refuse_two_columns(expr)
    values <- value_of(args[[2]], env)
    return(list(column = column, op = "in", value = as.list(plain(values))))
  }
  if (fn == "is.na" && !is.null(column <- column_of(args[[1]], columns))) return(list(column = column, op = "is null"))
  if (fn == "between" && !is.null(column <- column_of(args[[1]], columns))) {
    return(list(column = column, op = "between",
                value = list(scalar(value_of(args[[2]], env), expr), scalar(value_of(args[[3]], env), expr))))
  }
  refuse(expr)
}

call_name <- function(expr) {
  head <- expr[[1]]
  if (is.call(head) && as.character(head[[1]]) %in% c("::", ":::")) head <- head[[3]]  # dplyr::between
  if (is.symbol(head)) as.character(head) else ""
}

# The column an argument names: a bare column name or .data$name / .data[["name"]].
column_of <- function(arg, columns) {
  if (is.symbol(arg) && as.character(arg) %in% columns) return(as.character(arg))
  if (is.call(arg) && length(arg) == 3 && identical(arg[[2]], quote(.data)) &&
      (identical(arg[[1]], quote(`$`)) || identical(arg[[1]], quote(`[[`)))) {
    return(as.character(arg[[3]]))
  }
  NULL
}

value_of <- function(arg, env) {
  if (is.call(arg) && length(arg) == 3 && identical(arg[[2]], quote(.env)) && identical(arg[[1]], quote(`$`))) {
    arg <- arg[[3]]
  }
  rlang::eval_tidy(arg, env = env)
}

# Values as JSON takes them: factors as their labels, dates as ISO text.
plain <- function(value) {
  if (is.factor(value)) return(as.character(value))
  if (inherits(value, "Date")) return(format(value, "%Y-%m-%d"))
  if (inherits(value, "POSIXt")) return(format(value, "%Y-%m-%dT%H:%M:%S", tz = "UTC"))
  value
}

scalar <- function(value, expr) {
  if (length(value) != 1) {
    stop_dp(sprintf("In filter(%s): compare a column with one value (use %%in%% for several).", deparse1(expr)),
            "unsupported_filter")
  }
  plain(value)
}

# As in dplyr, a name that is a column means the column, even when an R variable has that name.
refuse_two_columns <- function(expr) {
  stop_dp(sprintf(paste0("filter(%s) compares two columns; the server compares a column with values. ",
                         "For an R variable named like a column write .env$name; else collect() first."),
                  deparse1(expr)), "unsupported_filter", details = list(expression = deparse1(expr)))
}

refuse <- function(expr) {
  stop_dp(sprintf(paste0(
    "filter() on a data product cannot send `%s` to the server: it knows ==, !=, <, <=, >, >=, %%in%%, ",
    "is.na(), between(), &, |, ! on the entity's columns. collect() first, then filter the data.frame in R."),
    deparse1(expr)), "unsupported_filter", details = list(expression = deparse1(expr)))
}

# A tree as the cohort text syntax, for print().
tree_text <- function(node) {
  if (!is.null(node$and)) return(paste0("(", paste(vapply(node$and, tree_text, ""), collapse = " and "), ")"))
  if (!is.null(node$or)) return(paste0("(", paste(vapply(node$or, tree_text, ""), collapse = " or "), ")"))
  if (!is.null(node$not)) return(paste0("not ", tree_text(node$not)))
  literal <- function(v) if (is.character(v)) paste0("'", gsub("'", "\\\\'", v), "'") else tolower(format(v))
  switch(node$op,
    `is null` = , `is not null` = paste(node$column, node$op),
    `in` = , `not in` = sprintf("%s %s (%s)", node$column, node$op, paste(vapply(node$value, literal, ""), collapse = ", ")),
    between = sprintf("%s between %s and %s", node$column, literal(node$value[[1]]), literal(node$value[[2]])),
    sprintf("%s %s %s", node$column, node$op, literal(node$value))
  )
}

# Verbs that would need the data in R: refused with what to do instead.
refuse_verb <- function(verb) {
  force(verb)
  function(.data, ...) {
    stop_dp(sprintf(paste0("%s() does not run on a data product: the server only filters rows and picks columns. ",
                           "collect() first, then %s() the data.frame."), verb, verb),
            "unsupported_verb", details = list(verb = verb))
  }
}

#' @export
mutate.dp_tbl <- refuse_verb("mutate")
#' @export
transmute.dp_tbl <- refuse_verb("transmute")
#' @export
arrange.dp_tbl <- refuse_verb("arrange")
#' @export
summarise.dp_tbl <- refuse_verb("summarise")
#' @export
group_by.dp_tbl <- refuse_verb("group_by")
#' @export
distinct.dp_tbl <- refuse_verb("distinct")
#' @export
rename.dp_tbl <- refuse_verb("rename")
#' @export
slice.dp_tbl <- refuse_verb("slice")
#' @export
count.dp_tbl <- refuse_verb("count")
#' @export
pull.dp_tbl <- refuse_verb("pull")
#' @export
left_join.dp_tbl <- refuse_verb("left_join")
#' @export
inner_join.dp_tbl <- refuse_verb("inner_join")
#' @export
right_join.dp_tbl <- refuse_verb("right_join")
#' @export
full_join.dp_tbl <- refuse_verb("full_join")
#' @export
semi_join.dp_tbl <- refuse_verb("semi_join")
#' @export
anti_join.dp_tbl <- refuse_verb("anti_join")
