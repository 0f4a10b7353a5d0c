import { Injectable, Module } from '@nestjs/common';
import { McpPrompt, McpResource } from '@sanctum/discovery';

/** What the shop sells: decorator options are evaluated with the class, so they see constants, not the instance. */
const ITEMS = ['apple', 'pear'];

@Injectable()
export class InventoryContent {
  private readonly stock = new Map<string, number>([
    ['apple', 3],
    ['pear', 0],
  ]);

  @McpResource({ namespace: 'inventory', uri: 'inventory://stock', name: 'stock', mimeType: 'application/json' })
  all(): string {
    return JSON.stringify(Object.fromEntries(this.stock));
  }

  @McpResource({
    namespace: 'inventory',
    uriTemplate: 'inventory://items/{item}',
    name: 'item',
    mimeType: 'application/json',
    complete: { item: (value) => ITEMS.filter((name) => name.startsWith(value)) },
  })
  item(uri: string, variables: Record<string, string>): string {
    const count = this.stock.get(variables['item']);
    if (count === undefined) throw new Error(`no such item: ${variables['item']}`);
    return JSON.stringify({ item: variables['item'], count });
  }

  @McpPrompt({
    namespace: 'inventory',
    name: 'restock',
    description: 'Ask for a restocking order of the items that ran out',
    arguments: [{ name: 'supplier', required: true, complete: ['acme', 'globex'] }],
  })
  restock(args: Record<string, string>): string {
    const empty = [...this.stock].filter(([, count]) => count === 0).map(([name]) => name);
    return `Write an order to ${args['supplier']} for: ${empty.join(', ') || 'nothing, every item is in stock'}.`;
  }
}

@Module({ providers: [InventoryContent] })
export class InventoryContentModule {}
