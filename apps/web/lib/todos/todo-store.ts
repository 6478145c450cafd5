import cassandra from "cassandra-driver";

const { consistencies } = cassandra.types;

export interface Todo {
  /** The row's timeuuid, as text. */
  id: string;
  title: string;
  completed: boolean;
}

/** Most todos one page shows (newest first); bounds a read of one partition. */
export const TODO_LIST_LIMIT = 500;

const SELECT_TODOS = "SELECT todo_id, title, completed FROM taskflow.todos_by_user WHERE user_id = ? LIMIT ?";
const SELECT_TODO = "SELECT todo_id, title, completed FROM taskflow.todos_by_user WHERE user_id = ? AND todo_id = ?";
const INSERT_TODO = "INSERT INTO taskflow.todos_by_user (user_id, todo_id, title, completed) VALUES (?, ?, ?, false)";
const UPDATE_COMPLETED = "UPDATE taskflow.todos_by_user SET completed = ? WHERE user_id = ? AND todo_id = ? IF EXISTS";
const DELETE_TODO = "DELETE FROM taskflow.todos_by_user WHERE user_id = ? AND todo_id = ? IF EXISTS";

/**
 * NOTE: LOCAL_QUORUM for reads and writes (the same as LOCAL_ONE on one node), so
 * a user sees their own change on the next request whichever replica answers.
 * Conditional writes run Paxos at LOCAL_SERIAL and commit at LOCAL_QUORUM.
 */
const READ_WRITE_OPTIONS = { prepare: true, consistency: consistencies.localQuorum };
const LWT_OPTIONS = { ...READ_WRITE_OPTIONS, serialConsistency: consistencies.localSerial };

function toTodo(row: cassandra.types.Row): Todo {
  const id = row.get("todo_id") as cassandra.types.TimeUuid;
  return { id: id.toString(), title: row.get("title") as string, completed: row.get("completed") === true };
}

/**
 * Todos in `taskflow.todos_by_user`. Every method takes the owner's id, which
 * callers take from the session (never from the request): the user id is the
 * partition key, so a todo id of another user is not found and nothing changes.
 */
export class TodoStore {
  readonly #client: cassandra.Client;

  constructor(client: cassandra.Client) {
    this.#client = client;
  }

  /** The user's todos, newest first. */
  async list(userId: string): Promise<Todo[]> {
    const result = await this.#client.execute(SELECT_TODOS, [userId, TODO_LIST_LIMIT], READ_WRITE_OPTIONS);
    return result.rows.map(toTodo);
  }

  /** Adds a todo (not completed) for the user; its id is a fresh timeuuid. */
  async create(userId: string, title: string): Promise<Todo> {
    const id = cassandra.types.TimeUuid.now();
    await this.#client.execute(INSERT_TODO, [userId, id, title], READ_WRITE_OPTIONS);
    return { id: id.toString(), title, completed: false };
  }

  /**
   * Sets the todo's completed state. Undefined when the user has no such todo
   * (another user's id, or deleted meanwhile): the conditional update then
   * changes nothing.
   */
  async setCompleted(userId: string, todoId: string, completed: boolean): Promise<Todo | undefined> {
    const todo = await this.#find(userId, todoId);
    if (!todo) return undefined;
    const result = await this.#client.execute(UPDATE_COMPLETED, [completed, userId, todoId], LWT_OPTIONS);
    return result.wasApplied() ? { ...todo, completed } : undefined;
  }

  /** Deletes the todo; undefined when the user has no such todo (so exactly one of two racing deletes wins). */
  async remove(userId: string, todoId: string): Promise<Todo | undefined> {
    const todo = await this.#find(userId, todoId);
    if (!todo) return undefined;
    const result = await this.#client.execute(DELETE_TODO, [userId, todoId], LWT_OPTIONS);
    return result.wasApplied() ? todo : undefined;
  }

  async #find(userId: string, todoId: string): Promise<Todo | undefined> {
    const result = await this.#client.execute(SELECT_TODO, [userId, todoId], READ_WRITE_OPTIONS);
    const row = result.first();
    return row ? toTodo(row) : undefined;
  }
}
