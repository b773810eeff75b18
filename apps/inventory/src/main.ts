import 'reflect-metadata';
import { runService } from '@app/platform';
import { inventoryService } from './inventory.definition';

void runService(inventoryService);
