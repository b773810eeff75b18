import 'reflect-metadata';
import { runService } from '@app/platform';
import { inventoryService } from './inventory.service';

void runService(inventoryService);
