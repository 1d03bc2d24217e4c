using MongoDB.Bson;

namespace EtlFast.WireServer;

/// <summary>A command as the server received it, for tests that check what a client sent.</summary>
/// <param name="Transport">"OP_MSG" or "OP_QUERY".</param>
/// <param name="Body">The kind-0 body (document sequences are not included).</param>
public sealed record ReceivedCommand(string Transport, string Database, string Name, BsonDocument Body, int ConnectionId);
