namespace EtlFast.WireServer.Protocol;

/// <summary>Wire protocol opcodes this server meets (the legacy ones only to refuse them).</summary>
internal enum OpCode
{
    Reply = 1,
    Update = 2001,
    Insert = 2002,
    Query = 2004,
    GetMore = 2005,
    Delete = 2006,
    KillCursors = 2007,
    Compressed = 2012,
    Msg = 2013,
}

/// <summary>OP_MSG flag bits.</summary>
[Flags]
internal enum MsgFlags : uint
{
    None = 0,
    ChecksumPresent = 1,
    MoreToCome = 2,
    ExhaustAllowed = 1 << 16,
}
