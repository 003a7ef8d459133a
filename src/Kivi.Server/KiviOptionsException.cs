namespace Kivi.Server;

/// <summary>A setting is missing or wrong: the node does not start, and the message names the setting.</summary>
public sealed class KiviOptionsException(string message, Exception? inner = null) : Exception(message, inner);
