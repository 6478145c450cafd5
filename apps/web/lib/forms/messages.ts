/** What actions tell the user when they refuse or fail: our words, never an exception's text. */
export const NOT_LOGGED_IN = "You are not logged in (or your session ended). Log in again to change your todos.";
export const TODO_NOT_FOUND = "This todo is not in your list. It may have been deleted meanwhile; reload the page.";
export const SOMETHING_WENT_WRONG = "Something went wrong on our side. Please try again.";
