namespace EtlFast.Core.Generation;

/// <summary>How far a generation run has come: documents and BSON bytes handed to the output so far.</summary>
public readonly record struct GenerationProgress(long Documents, long Bytes);
