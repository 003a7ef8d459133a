namespace Kivi.Core.Storage;

/// <summary>Deletes up to <see cref="MaxRows"/> entries expired at <see cref="Now"/>, logging an expire change for each (<see cref="IKvMaintenance.PurgeExpiredAsync"/>).</summary>
public sealed record PurgeExpired(long Now, int MaxRows) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}

/// <summary>Drops change-log rows at or below <see cref="UpToVersion"/> (<see cref="IKvMaintenance.TrimChangesAsync"/>).</summary>
public sealed record TrimChanges(long UpToVersion) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}
