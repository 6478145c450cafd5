import cassandra from "cassandra-driver";

const { consistencies } = cassandra.types;

/** An account as stored; `email` is already normalized (see registerInputSchema). */
export interface StoredUser {
  id: string;
  email: string;
  passwordHash: string;
}

export type CreateUserResult = { created: true; user: { id: string; email: string } } | { created: false; reason: "email-taken" };

const INSERT_USER =
  "INSERT INTO taskflow.users_by_email (email, user_id, password_hash, created_at) VALUES (?, ?, ?, ?) IF NOT EXISTS";
const SELECT_USER_BY_EMAIL = "SELECT user_id, email, password_hash FROM taskflow.users_by_email WHERE email = ?";

/** Accounts in `taskflow.users_by_email` (kafka/cassandra/004-app.cql). */
export class UserStore {
  readonly #client: cassandra.Client;

  constructor(client: cassandra.Client) {
    this.#client = client;
  }

  /**
   * Claims `email` for a new account. The insert is a lightweight transaction,
   * so of two concurrent registrations with one e-mail exactly one succeeds.
   */
  async create(input: { email: string; passwordHash: string }): Promise<CreateUserResult> {
    const id = cassandra.types.Uuid.random().toString();
    const result = await this.#client.execute(INSERT_USER, [input.email, id, input.passwordHash, new Date()], {
      prepare: true,
      // Paxos among the local replicas; the commit is written at LOCAL_QUORUM.
      serialConsistency: consistencies.localSerial,
      consistency: consistencies.localQuorum,
    });
    if (!result.wasApplied()) return { created: false, reason: "email-taken" };
    return { created: true, user: { id, email: input.email } };
  }

  /** The account of `email`, if any (LOCAL_QUORUM: sees every committed registration). */
  async findByEmail(email: string): Promise<StoredUser | undefined> {
    const result = await this.#client.execute(SELECT_USER_BY_EMAIL, [email], { prepare: true, consistency: consistencies.localQuorum });
    const row = result.first();
    if (!row) return undefined;
    return { id: String(row.get("user_id")), email: row.get("email") as string, passwordHash: row.get("password_hash") as string };
  }
}
