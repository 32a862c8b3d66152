import { describe, expect, it } from 'vitest';
import { parseArmPath } from './arm-path.js';

const SUB = '/subscriptions/0000';

describe('parseArmPath', () => {
  it('reads a resource group, keyed in lower case, in either spelling the CLI uses', () => {
    const path = parseArmPath(`${SUB}/resourcegroups/Kubeonazure-Backing`)!;
    expect(path).toMatchObject({ type: 'Microsoft.Resources/resourceGroups', name: 'Kubeonazure-Backing' });
    expect(path.key).toBe(parseArmPath(`${SUB}/resourceGroups/kubeonazure-backing`)!.key);
  });

  it('reads a nested resource: its type, name and parent', () => {
    const account = `${SUB}/resourceGroups/g/providers/Microsoft.DocumentDB/databaseAccounts/a`;
    const path = parseArmPath(`${account}/mongodbDatabases/d/collections/tweets`)!;
    expect(path).toMatchObject({
      resourceGroup: 'g',
      type: 'Microsoft.DocumentDB/databaseAccounts/mongodbDatabases/collections',
      name: 'tweets',
      parentKey: `${account}/mongodbDatabases/d`.toLowerCase(),
    });
    expect(parseArmPath(account)!.parentKey).toBeUndefined();
  });

  it('tells a collection (a list) from a resource', () => {
    const path = parseArmPath(`${SUB}/providers/Microsoft.ContainerRegistry/registries`)!;
    expect(path).toMatchObject({ type: 'Microsoft.ContainerRegistry/registries', scopeKey: SUB });
    expect(path.name).toBeUndefined();
  });

  it('reads an extension resource at the scope it hangs off', () => {
    const registry = `${SUB}/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r`;
    const path = parseArmPath(`${registry}/providers/Microsoft.Authorization/roleAssignments/`)!;
    expect(path).toMatchObject({ type: 'Microsoft.Authorization/roleAssignments', scopeKey: registry.toLowerCase() });
    expect(path.name).toBeUndefined();
  });

  it('is undefined for what is not below a subscription', () => {
    expect(parseArmPath('/metadata/endpoints')).toBeUndefined();
    expect(parseArmPath(`${SUB}/providers`)).toBeUndefined();
  });
});
