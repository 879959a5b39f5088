/**
 * The conformance suite against EventStoreDB / KurrentDB (DESIGN.md section 3).
 *
 * Skipped for now, and says why at load: the EventStoreDB adapter does not exist yet, and
 * without EVENTSTORE_CONNECTION_STRING there is no server to run it against. Once
 * `src/eventstore/eventstoredb` exists, replace the skip with:
 *
 *   eventStoreConformance(
 *     'eventstoredb',
 *     async () => {
 *       const store = await createEventStoreDbEventStore({ connectionString });
 *       return { store, teardown: () => store.close() };
 *     },
 *     { freshStoreIsEmpty: false }, // $all holds system events; streams use random prefixes
 *   );
 *
 * run only when the variable is set (`describe.skip` with the printed reason otherwise).
 */
const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;

const reason = connectionString
  ? 'the EventStoreDB adapter does not exist yet'
  : 'EVENTSTORE_CONNECTION_STRING not set';
// Straight to stderr: jest does not show console output of a suite whose tests all skip.
process.stderr.write(`EventStoreDB conformance skipped: ${reason}\n`);

describe.skip(`EventStore conformance: eventstoredb (skipped: ${reason})`, () => {
  it.todo('runs eventStoreConformance against the EventStoreDB adapter once it exists');
});
